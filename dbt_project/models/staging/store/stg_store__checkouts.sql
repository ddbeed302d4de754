with

source as (

    select * from {{ source('store', 'checkouts') }}

),

customers as (

    select customer_id, country from {{ ref('stg_store__customers') }}

),

renamed as (

    select

        ----------  ids
        checkout_id,
        customer_id,

        ---------- contact
        nullif(lower(trim(email)), '') as email,
        nullif(trim(phone), '') as phone_raw,

        ---------- numerics
        total,
        nullif(upper(trim(currency)), '') as currency,
        items_count,

        ---------- timestamps
        created_at,
        coalesce(updated_at, created_at) as updated_at,
        completed_at,

        ---------- lineage
        _source_file,
        _source_row

    from source

),

newest as (

    {{ listenloop.dedupe_newest(
        'renamed', 'checkout_id', 'updated_at desc, _source_file desc, _source_row desc'
    ) }}

),

-- a national number is read in the linked customer's country when known
with_country as (

    select
        newest.*,
        coalesce(customers.country, '{{ var("default_phone_country") }}') as phone_country
    from newest
    left join customers on newest.customer_id = customers.customer_id

),

phones as (

    {{ listenloop.phone_to_e164('with_country', 'phone_raw', 'phone_country') }}

)

select
    checkout_id,
    customer_id,
    email,
    phone_e164 as phone,
    phone_raw,
    phone_is_valid,
    total,
    currency,
    items_count,
    completed_at is not null as is_completed,
    created_at,
    updated_at,
    completed_at,
    _source_file,
    _source_row
from phones
