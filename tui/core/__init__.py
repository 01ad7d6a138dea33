"""Everything that talks to the world. No Textual imports in this package."""
