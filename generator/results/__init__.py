"""States: the versioned result schema and atomic reading/writing of result files."""
