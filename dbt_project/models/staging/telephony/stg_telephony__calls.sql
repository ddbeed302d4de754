with

source as (

    select * from {{ source('telephony', 'calls') }}

),

customers as (

    select customer_id, country from {{ ref('stg_store__customers') }}

),

renamed as (

    select

        ----------  ids
        call_id,
        customer_id,
        nullif(trim(agent_id), '') as agent_id,

        ---------- contact
        nullif(trim(phone), '') as phone_raw,

        ---------- strings
        direction,
        nullif(trim(campaign), '') as campaign,
        disposition,
        outcome,
        nullif(trim(concern_tags), '') as concern_tags,
        notes,

        ---------- numerics
        talk_seconds,
        hold_seconds,
        wrap_seconds,
        -- time an agent spent on the call; null when none of its parts is known
        case
            when coalesce(talk_seconds, hold_seconds, wrap_seconds) is not null
                then coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + coalesce(wrap_seconds, 0)
        end as handle_seconds,

        ---------- booleans
        coalesce(disposition = 'connected', false) as is_connected,
        resolved_first_contact,

        ---------- timestamps
        started_at,
        answered_at,
        ended_at,
        {{ listenloop.to_program_date('started_at') }} as call_date,

        ---------- lineage
        _source_file,
        _source_row

    from source

),

-- a national number is read in the linked customer's country when known
with_country as (

    select
        renamed.*,
        coalesce(customers.country, '{{ var("default_phone_country") }}') as phone_country
    from renamed
    left join customers on renamed.customer_id = customers.customer_id

),

phones as (

    {{ listenloop.phone_to_e164('with_country', 'phone_raw', 'phone_country') }}

)

select
    call_id,
    customer_id,
    agent_id,
    phone_e164 as phone,
    phone_raw,
    phone_is_valid,
    direction,
    campaign,
    disposition,
    outcome,
    concern_tags,
    notes,
    talk_seconds,
    hold_seconds,
    wrap_seconds,
    handle_seconds,
    is_connected,
    resolved_first_contact,
    started_at,
    answered_at,
    ended_at,
    call_date,
    _source_file,
    _source_row
from phones
