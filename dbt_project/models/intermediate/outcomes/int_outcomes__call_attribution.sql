{#-
    Every outbound call started before observed_until, attributed to at most one assignment: same customer (for a guest
    checkout with no customer, the same phone), campaign = segment, and started in
    [call_window_start, call_window_end + var('attribution_grace_hours')). When two
    assignments of a customer and segment overlap (two carts a day apart), the call goes to
    the one whose window opened last before it. Calls that match none are kept with
    is_attributed = false, so attributed + unattributed = outbound calls.
-#}
with

calls as (

    select * from {{ ref('int_calls__attempts') }}
    where started_at < {{ listenloop.observed_until() }}

),

phones as (

    select call_id, phone from {{ ref('stg_telephony__calls') }}
    where direction = 'outbound'

),

assignments as (

    select * from {{ ref('int_outcomes__assignments') }}

),

-- A call's candidate assignments, found through the customer or, for an assignment without
-- one, through the phone: two equality joins rather than one join on "customer or phone", which
-- DuckDB could only run as a nested loop over every call and assignment of a segment. An
-- assignment has a customer or not, so no pair is found twice.
candidates as (

    select calls.call_id, calls.started_at, assignments.*
    from calls
    inner join phones
        on calls.call_id = phones.call_id
    inner join assignments
        on calls.campaign = assignments.segment
        and calls.customer_id = assignments.customer_id

    union all

    select calls.call_id, calls.started_at, assignments.*
    from calls
    inner join phones
        on calls.call_id = phones.call_id
    inner join assignments
        on calls.campaign = assignments.segment
        and assignments.customer_id is null
        and phones.phone = assignments.phone_e164

),

matches as (

    select
        call_id,
        segment,
        trigger_id,
        arm,
        row_number() over (
            partition by call_id
            order by
                case when arm = 'treatment' then 0 else 1 end,
                call_window_start desc,
                trigger_id desc
        ) as match_rank
    from candidates
    where started_at >= call_window_start
        and started_at < attribution_ends_at

)

select
    calls.call_id,
    calls.customer_id,
    calls.campaign,
    calls.agent_id,
    calls.disposition,
    calls.is_connected,
    calls.outcome,
    calls.handle_seconds,
    calls.started_at,
    calls.call_date,
    matches.segment,
    matches.trigger_id,
    matches.arm,
    matches.trigger_id is not null as is_attributed
from calls
left join matches
    on calls.call_id = matches.call_id
    and matches.match_rank = 1
