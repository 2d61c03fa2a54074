"""Admin pages and the settings and alerts they manage."""
