enum NetSimPlaceholder {}
