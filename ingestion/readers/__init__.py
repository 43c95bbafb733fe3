"""One reader per published format. Readers turn a file into a `Lecture` (validation frames + landing tables)."""
