{#-
    Incremental because calls are append-mostly: each run replaces (delete+insert on call_id) the
    outbound calls started within var('outcomes_lookback_days') of the newest one already here,
    which absorbs late files and corrections. A call changed further back, or one that stops
    being outbound, needs `dbt build --full-refresh` (as does a new program_timezone).
    The columns depend on the call alone, never on another feed, so the increment stays exact.
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
    where direction = 'outbound'
        and {{ listenloop.in_incremental_window('started_at') }}

)

select
    call_id,
    customer_id,
    campaign,
    agent_id,
    disposition,
    is_connected,
    outcome,
    talk_seconds,
    hold_seconds,
    wrap_seconds,
    handle_seconds,
    started_at,
    answered_at,
    ended_at,
    call_date
from calls
