"""Object stores behind the embedded API server: a narrow protocol and its SQLite (kine-style) backend."""
