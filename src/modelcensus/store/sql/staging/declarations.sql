-- The snapshot's declarations: the Hub's (from staging) and the card's and tags' (from the models rows).
-- reads: _hub_declaration_rows, _declaration_rows
-- produces: declarations
SELECT * FROM _hub_declaration_rows UNION ALL SELECT * FROM _declaration_rows
