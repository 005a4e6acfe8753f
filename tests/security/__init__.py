"""Security checks that span the whole product."""
