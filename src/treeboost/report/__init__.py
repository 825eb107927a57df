"""The demo job and the self-contained HTML report it writes."""
