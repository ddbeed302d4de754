-- raw keeps every version of a customer; the newest one describes them now
{{ listenloop.dedupe_newest(
    ref('stg_store__customer_versions'),
    'customer_id',
    'updated_at desc, _source_file desc, _source_row desc'
) }}
