{#-
    Every version of every checkout, valid from its updated_at until the next version's.
    A version records cart activity unless it only records the completion (completed_at at or
    before its updated_at): the last activity is what abandonment is timed from.
    The checkout's phone is read in the country of the customer's first version, so a later
    change of country never rewrites a past list (guests: var('default_phone_country')).
-#}
with

source as (

    select * from {{ source('store', 'checkouts') }}

),

customer_versions as (

    select customer_id, country, valid_from, _source_file, _source_row
    from {{ ref('int_customers__versions') }}

),

first_countries as (

    {{ listenloop.dedupe_newest(
        'customer_versions', 'customer_id', 'valid_from, _source_file, _source_row'
    ) }}

),

renamed as (

    select
        source.checkout_id,
        source.customer_id,
        nullif(lower(trim(source.email)), '') as email,
        nullif(trim(source.phone), '') as phone_raw,
        coalesce(first_countries.country, '{{ var("default_phone_country") }}') as phone_country,
        source.total,
        nullif(upper(trim(source.currency)), '') as currency,
        source.items_count,
        source.created_at,
        source.completed_at,
        coalesce(source.updated_at, source.created_at) as valid_from,
        source._source_file,
        source._source_row
    from source
    left join first_countries on source.customer_id = first_countries.customer_id

),

phones as (

    {{ listenloop.phone_to_e164('renamed', 'phone_raw', 'phone_country') }}

)

select
    checkout_id,
    customer_id,
    email,
    phone_e164 as phone,
    phone_is_valid,
    total,
    currency,
    items_count,
    created_at,
    completed_at,
    completed_at is null or completed_at > valid_from as is_cart_activity,
    valid_from,
    lead(valid_from) over (
        partition by checkout_id order by valid_from, _source_file, _source_row
    ) as valid_to,
    _source_file,
    _source_row
from phones
