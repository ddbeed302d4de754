{#-
    Every version of every customer, valid from its updated_at until the next version's: what the
    program knew about a customer at any moment (a call list for day D reads the version valid at
    the start of D). Phones are normalised per version, in that version's country.
-#}
with

source as (

    select * from {{ source('store', 'customers') }}

),

renamed as (

    select
        customer_id,
        nullif(lower(trim(email)), '') as email,
        nullif(trim(phone), '') as phone_raw,
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        nullif(upper(trim(country)), '') as country,
        coalesce(
            nullif(upper(trim(country)), ''), '{{ var("default_phone_country") }}'
        ) as phone_country,
        accepts_phone_contact,
        created_at,
        coalesce(updated_at, created_at) as valid_from,
        _source_file,
        _source_row
    from source

),

phones as (

    {{ listenloop.phone_to_e164('renamed', 'phone_raw', 'phone_country') }}

)

select
    customer_id,
    email,
    phone_e164 as phone,
    phone_is_valid,
    first_name,
    last_name,
    country,
    accepts_phone_contact,
    created_at,
    valid_from,
    lead(valid_from) over (
        partition by customer_id order by valid_from, _source_file, _source_row
    ) as valid_to,
    _source_file,
    _source_row
from phones
