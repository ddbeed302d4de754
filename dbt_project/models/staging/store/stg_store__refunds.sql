with

source as (

    select * from {{ source('store', 'refunds') }}

),

renamed as (

    select

        ----------  ids
        refund_id,
        order_id,

        ---------- numerics
        amount as refund_amount,

        ---------- strings
        reason,

        ---------- timestamps
        created_at as refunded_at,

        ---------- lineage
        _source_file,
        _source_row

    from source

)

select * from renamed
