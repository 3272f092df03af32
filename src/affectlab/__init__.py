"""affectlab: emotion and affect in language models and their training data."""
