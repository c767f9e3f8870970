-- Trashed events' error items name their field as "key" (the Webmarketer
-- document's name) beside "field"; rows trashed before carry only "field".
UPDATE trashed_events
SET errors = (SELECT jsonb_agg(jsonb_build_object('key', item->'field') || item ORDER BY position)
              FROM jsonb_array_elements(errors) WITH ORDINALITY AS items (item, position))
WHERE jsonb_array_length(errors) > 0 AND NOT (errors->0 ? 'key');
