"""The evidence: the data package and its check (``datapackage``), the built dataset (``dataset``,
``build``), the vocabulary of coded values (``vocabulary``), counts of bodies (``counts``), what
cites each source (``citations``) and the licences (``licences``)."""
