"""The public side's HTTP: the board, the complaint form and look-ups without login (HTML
or JSON), and the auditor's hotline entry, complaint handling and statements."""
