{#-
    Every version of every order, valid from its updated_at until the next version's: whether an
    order existed, and was voided, at any moment.
-#}
with

source as (

    select * from {{ source('store', 'orders') }}

)

select
    order_id,
    customer_id,
    checkout_id,
    nullif(upper(trim(currency)), '') as currency,
    total,
    financial_status,
    coalesce(financial_status = 'voided', false) as is_voided,
    created_at,
    coalesce(updated_at, created_at) as valid_from,
    lead(coalesce(updated_at, created_at)) over (
        partition by order_id order by coalesce(updated_at, created_at), _source_file, _source_row
    ) as valid_to,
    _source_file,
    _source_row
from source
