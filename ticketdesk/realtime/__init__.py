"""Live updates over Socket.IO: rooms, who may join, and publishing after commit."""
