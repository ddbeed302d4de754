{#-
    Incremental by day and partitioned by call date (tag `daily`): each run recomputes whole days
    (delete+insert on call_date). A Dagster run recomputes the days of its partition window; a
    plain `dbt build` recomputes the days from var('outcomes_lookback_days') days before the newest
    day already built. A day is always rebuilt from all its calls, never patched, so re-running a
    day over the same calls changes nothing, and the window absorbs late files and corrected calls
    while a daily run reads only a few days of calls instead of the whole history.
    Changes older than the window, or a new program_timezone, need `dbt build --full-refresh`.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='call_date',
        on_schema_change='fail',
        tags=['daily']
    )
}}

with

calls as (

    select * from {{ ref('stg_telephony__calls') }}
    where {% if listenloop.partition_window() -%}
        {{ listenloop.in_partition_window('call_date') }}
    {%- else -%}
        {{ listenloop.in_incremental_window('call_date') }}
    {%- endif %}

),

daily as (

    select
        call_date,
        direction,
        campaign,
        agent_id,

        count(*) as attempts,
        sum(case when is_connected then 1 else 0 end) as connects,
        sum(case when disposition = 'voicemail' then 1 else 0 end) as voicemails,

        sum(case when is_connected then handle_seconds end) as connected_handle_seconds,
        sum(case when is_connected and handle_seconds is not null then 1 else 0 end)
            as handle_time_calls,

        sum(
            case
                when is_connected and direction = 'inbound' and resolved_first_contact
                    then 1 else 0
            end
        ) as first_contact_resolutions,
        sum(
            case
                when is_connected and direction = 'inbound' and resolved_first_contact is not null
                    then 1 else 0
            end
        ) as first_contact_resolution_calls,

        sum(case when direction = 'inbound' and disposition = 'abandoned' then 1 else 0 end)
            as inbound_abandoned_calls,
        sum(case when direction = 'inbound' then 1 else 0 end) as inbound_offered_calls

    from calls
    group by call_date, direction, campaign, agent_id

)

select
    cast(call_date as date) as call_date,
    cast(direction as {{ dbt.type_string() }}) as direction,
    cast(campaign as {{ dbt.type_string() }}) as campaign,
    cast(agent_id as {{ dbt.type_string() }}) as agent_id,

    cast(attempts as {{ dbt.type_bigint() }}) as attempts,
    cast(connects as {{ dbt.type_bigint() }}) as connects,
    cast(connects as {{ listenloop.type_double() }}) / attempts as connect_rate,
    cast(voicemails as {{ dbt.type_bigint() }}) as voicemails,

    cast(connected_handle_seconds as {{ listenloop.type_double() }})
        / nullif(handle_time_calls, 0) as avg_handle_seconds,
    cast(handle_time_calls as {{ dbt.type_bigint() }}) as handle_time_calls,

    cast(first_contact_resolutions as {{ listenloop.type_double() }})
        / nullif(first_contact_resolution_calls, 0) as first_contact_resolution_rate,
    cast(first_contact_resolutions as {{ dbt.type_bigint() }}) as first_contact_resolutions,
    cast(first_contact_resolution_calls as {{ dbt.type_bigint() }})
        as first_contact_resolution_calls,

    case
        when direction = 'inbound'
            then cast(inbound_abandoned_calls as {{ listenloop.type_double() }})
                / nullif(inbound_offered_calls, 0)
    end as abandoned_rate,
    cast(inbound_abandoned_calls as {{ dbt.type_bigint() }}) as inbound_abandoned_calls,
    cast(inbound_offered_calls as {{ dbt.type_bigint() }}) as inbound_offered_calls

from daily
