"""Family C, part 2: base-vs-SFT evaluation exports (EQ-Bench-style, qualitative, red-team) and their report."""
