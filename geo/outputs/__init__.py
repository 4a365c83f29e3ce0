"""What people see and take away: the map (``mapview`` and ``sitelayer.js``), the files it loads
(``files``, ``vendor``), the campaign text (``campaign``), text made safe for Markdown
(``text``), exports (``export``), the press image (``press``), share links and the embed
snippet (``share``), and the published static copy (``publish``)."""
