"""The live terminal monitor (Textual). Nothing outside this package imports Textual."""
