"""Comment periods: the dates during which a draft takes comments, their extensions and clock."""
