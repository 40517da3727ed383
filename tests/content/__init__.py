"""Property-based tests of the content layer's grammars."""
