"""Freedom of information: the law's clock (``deadlines``), asking a council (``asking``), and what
is known of each council and how far the campaign has got (``known``)."""
