"""Great Expectations suites (as code) that guard every load before it lands."""
