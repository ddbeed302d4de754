{#-
    Incremental like int_calls__attempts (see there): delete+insert on call_id over the last
    var('outcomes_lookback_days') days of connected calls.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='call_id',
        on_schema_change='fail'
    )
}}

with

calls as (

    select * from {{ ref('stg_telephony__calls') }}
    where is_connected
        and {{ listenloop.in_incremental_window('started_at') }}

),

concerns as (

    select * from {{ ref('stg_telephony__call_concerns') }}

),

-- several unknown tags on one call all read 'other': count the theme once
call_tags as (

    select
        concerns.call_id,
        concerns.concern_tag,
        {{ dbt.bool_or('concerns.is_unknown_tag') }} as is_unknown_tag
    from concerns
    inner join calls on concerns.call_id = calls.call_id
    group by concerns.call_id, concerns.concern_tag

),

tags_per_call as (

    select
        call_id,
        {{ dbt.listagg('concern_tag', "';'", 'order by concern_tag') }} as concern_tags,
        count(*) as concern_tag_count,
        {{ dbt.bool_or('is_unknown_tag') }} as has_unknown_tag
    from call_tags
    group by call_id

)

select
    calls.call_id,
    calls.customer_id,
    calls.direction,
    calls.campaign,
    calls.agent_id,
    calls.outcome,
    tags_per_call.concern_tags,
    coalesce(tags_per_call.concern_tag_count, 0) as concern_tag_count,
    coalesce(tags_per_call.has_unknown_tag, false) as has_unknown_tag,
    calls.notes,
    calls.resolved_first_contact,
    calls.handle_seconds,
    calls.started_at,
    calls.call_date
from calls
left join tags_per_call on calls.call_id = tags_per_call.call_id
