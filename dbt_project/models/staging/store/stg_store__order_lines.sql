with

source as (

    select * from {{ source('store', 'order_lines') }}

),

renamed as (

    select

        ----------  ids
        line_id,
        order_id,
        product_id,
        sku,

        ---------- strings
        title,
        category,

        ---------- numerics
        quantity,
        unit_price,
        quantity * unit_price as line_amount,

        ---------- lineage
        _source_file,
        _source_row

    from source

)

select * from renamed
