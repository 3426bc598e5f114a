"""Pure core: wire models and planners. No I/O, no clock, no randomness unless passed in."""
