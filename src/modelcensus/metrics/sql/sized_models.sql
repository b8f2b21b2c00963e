-- The latest file's models with their size in billions (size_b: a curated size from curated_sizes, else
-- safetensors total, else the name, as metrics/sizes.py writes the rule for every path) and ATOM size class,
-- and the chosen download count: what metric_sizes reads on --snapshots (a store's metric scope makes the
-- same columns from its models). curated_sizes is empty when no parameters file is given.
-- reads: latest_models, curated_sizes
-- produces: sized_models
-- params: column=downloads_30d size_b=NULL size_class=NULL
SELECT created_at, downloads, size_b, ${size_class} AS size_class
FROM (SELECT m.created_at, m.${column} AS downloads, ${size_b} AS size_b
      FROM latest_models m LEFT JOIN curated_sizes cu ON cu.id_lower = m.id_lower) sized
