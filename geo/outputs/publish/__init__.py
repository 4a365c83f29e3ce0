"""The published static copy: ``site`` writes it; ``assets/`` holds its own script and style."""
