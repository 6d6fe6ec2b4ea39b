"""Plain functions that hold the product's rules: no request objects, no templates."""
