"""Where things are: postcodes (``postcodes``), local authorities and their names
(``authorities``), districts (``districts``), boundaries (``boundaries``) and the hex
cartogram (``hexes``)."""
