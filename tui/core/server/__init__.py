"""The server and how it is reached: locate, launch (embedded or Docker), reap, sessions, the
bounded HTTP client."""
