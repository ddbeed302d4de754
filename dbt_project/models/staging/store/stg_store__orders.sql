with

source as (

    select * from {{ source('store', 'orders') }}

),

renamed as (

    select

        ----------  ids
        order_id,
        customer_id,
        checkout_id,

        ---------- strings
        nullif(upper(trim(currency)), '') as currency,
        financial_status,
        channel,

        ---------- numerics
        subtotal,
        discount,
        shipping,
        tax,
        total,

        ---------- booleans
        coalesce(financial_status = 'voided', false) as is_voided,

        ---------- timestamps
        created_at,
        coalesce(updated_at, created_at) as updated_at,

        ---------- lineage
        _source_file,
        _source_row

    from source

),

-- raw keeps every version of an order; the newest one (e.g. refunded, voided) is its state now
newest as (

    {{ listenloop.dedupe_newest(
        'renamed', 'order_id', 'updated_at desc, _source_file desc, _source_row desc'
    ) }}

)

select * from newest
