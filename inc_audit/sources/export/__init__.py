"""Reading a GitLab project export, a .tar.gz or its unpacked folder (``source``): the archive
read within bounds (``archive``) and its fields checked (``fields``). May import ``entries``
and the source protocol."""
