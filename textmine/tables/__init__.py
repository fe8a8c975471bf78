"""Publication tables and the HTML report."""

__all__: list[str] = []
