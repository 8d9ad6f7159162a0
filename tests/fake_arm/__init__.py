"""A fake ARM / Azure Site Recovery server on loopback, with fixtures, for tests only."""
