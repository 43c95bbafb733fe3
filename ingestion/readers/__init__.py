"""One reader per published format. Readers turn a file into a `ReadResult` (validation frames + landing tables)."""
