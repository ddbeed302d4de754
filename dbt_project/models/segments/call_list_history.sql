{#-
    Every eligible member (not suppressed) of every list date, with its arm and status: the
    record the outcome marts measure against. Incremental and append-only, partitioned by day
    (tag `daily`): a run adds the list dates of its partition window (every date up to the as-of
    date outside Dagster) that are not here yet, and never rewrites a day unless the window is
    rebuilt (var rebuild_partitions, or `dbt build --full-refresh`).
    An intraday refresh (var list_cutoff_at) adds D's members that became eligible since D was
    written; rows already here stay, because agents may have called them and the outcome marts
    must see every member that was offered. listed_at tells the two apart.
    Arm: holdout when holdout_bucket(customer_id, segment, trigger_id) < var('holdout_share').
    Status: treatment members past var('daily_call_capacity') by priority are deferred; members
    added during the day queue behind those already listed.
    Priority (0-300) = value points (cart, order or refund value / 5, at most 100; currencies
    are not converted) + lifetime-value points (net revenue to date / 10, 0-100) + recency points
    (100 * exp(-hours from the trigger to the start of calling hours / 72)).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        tags=['daily'],
        pre_hook="{{ listenloop.delete_partition_window('list_date') }}"
    )
}}

with

members as (

    select * from {{ ref('int_call_list__members') }} as candidates
    where suppression_rule is null
        and {{ listenloop.in_partition_window('list_date') }}
    {%- if is_incremental() and not listenloop.rebuild_partitions() %}
        and (
            list_date not in (select list_date from {{ this }})
            {%- if listenloop.list_cutoff_at() %}
            -- intraday: D's members that are not on D's list yet
            or (
                list_date = {{ listenloop.as_of_date() }}
                and not exists (
                    select 1 from {{ this }} as listed
                    where listed.list_date = candidates.list_date
                        and listed.segment = candidates.segment
                        and listed.trigger_id = candidates.trigger_id
                )
            )
            {%- endif %}
        )
    {%- endif %}
    {%- if is_incremental() %}
        -- a one-time buyer is listed once, whatever later data says
        and not (
            segment = 'one_time_buyer'
            and trigger_id in (
                select trigger_id from {{ this }} where segment = 'one_time_buyer'
            )
        )
    {%- endif %}

),

order_versions as (

    select * from {{ ref('int_orders__versions') }}

),

-- the customer's orders as known at the cutoff
member_orders as (

    select
        members.list_date,
        members.segment,
        members.trigger_id,
        orders.order_id,
        orders.total,
        orders.currency,
        orders.financial_status,
        orders.created_at,
        row_number() over (
            partition by members.list_date, members.segment, members.trigger_id
            order by orders.created_at desc, orders.order_id desc
        ) as recency_rank
    from members
    inner join order_versions as orders
        on members.customer_id = orders.customer_id
        and {{ listenloop.valid_at('orders', 'members.cutoff_at') }}
    where not orders.is_voided

),

member_refunds as (

    select
        members.list_date,
        members.segment,
        members.trigger_id,
        refunds.refund_amount,
        member_orders.currency,
        refunds.refunded_at,
        refunds.refunded_at >= {{ dbt.dateadd('day', -30, 'members.cutoff_at') }} as is_open,
        row_number() over (
            partition by members.list_date, members.segment, members.trigger_id
            order by refunds.refunded_at desc, refunds.refund_id desc
        ) as recency_rank
    from members
    inner join member_orders
        on members.list_date = member_orders.list_date
        and members.segment = member_orders.segment
        and members.trigger_id = member_orders.trigger_id
    inner join {{ ref('stg_store__refunds') }} as refunds
        on member_orders.order_id = refunds.order_id
        and refunds.refunded_at < members.cutoff_at

),

values_to_date as (

    select
        members.list_date,
        members.segment,
        members.trigger_id,
        coalesce(order_sums.revenue, 0) - coalesce(refund_sums.refunded, 0) as lifetime_value
    from members
    left join (
        select list_date, segment, trigger_id, sum(coalesce(total, 0)) as revenue
        from member_orders
        group by list_date, segment, trigger_id
    ) as order_sums
        on members.list_date = order_sums.list_date
        and members.segment = order_sums.segment
        and members.trigger_id = order_sums.trigger_id
    left join (
        select list_date, segment, trigger_id, sum(coalesce(refund_amount, 0)) as refunded
        from member_refunds
        group by list_date, segment, trigger_id
    ) as refund_sums
        on members.list_date = refund_sums.list_date
        and members.segment = refund_sums.segment
        and members.trigger_id = refund_sums.trigger_id

),

-- concern themes the customer raised on connected calls before the cutoff
member_concerns as (

    select distinct
        members.list_date,
        members.segment,
        members.trigger_id,
        concerns.concern_tag
    from members
    inner join {{ ref('stg_telephony__calls') }} as calls
        on members.customer_id = calls.customer_id
        and calls.is_connected
        and calls.started_at < members.cutoff_at
    inner join {{ ref('stg_telephony__call_concerns') }} as concerns
        on calls.call_id = concerns.call_id

),

concern_texts as (

    select
        member_concerns.list_date,
        member_concerns.segment,
        member_concerns.trigger_id,
        {{ dbt.listagg(
            "replace(member_concerns.concern_tag, '_', ' ')", "', '", 'order by member_concerns.concern_tag'
        ) }} as concerns,
        {{ dbt.listagg(
            'objections.guidance', "' '", 'order by member_concerns.concern_tag'
        ) }} as objection_handling
    from member_concerns
    left join {{ ref('call_playbooks') }} as objections
        on member_concerns.segment = objections.segment
        and member_concerns.concern_tag = objections.concern_tag
    group by member_concerns.list_date, member_concerns.segment, member_concerns.trigger_id

),

openings as (

    select segment, guidance from {{ ref('call_playbooks') }} where concern_tag is null

),

enriched as (

    select
        members.*,
        values_to_date.lifetime_value,
        'Last order: ' || {{ listenloop.money_text('last_orders.total', 'last_orders.currency') }}
            || ' on ' || {{ listenloop.day_text('last_orders.created_at') }}
            || coalesce(' (' || last_orders.financial_status || ')', '') || '.' as last_order_point,
        'Refund: ' || {{ listenloop.money_text('open_refunds.refund_amount', 'open_refunds.currency') }}
            || ' on ' || {{ listenloop.day_text('open_refunds.refunded_at') }} || '.' as refund_point,
        'Raised before: ' || concern_texts.concerns || '.' as concern_point,
        openings.guidance
            || case
                when members.segment <> 'cart_abandoner' then ''
                when concern_texts.objection_handling is not null
                    then ' ' || concern_texts.objection_handling
                else ' No concern on record: ask before offering anything.'
            end as playbook
    from members
    left join values_to_date
        on members.list_date = values_to_date.list_date
        and members.segment = values_to_date.segment
        and members.trigger_id = values_to_date.trigger_id
    left join member_orders as last_orders
        on members.list_date = last_orders.list_date
        and members.segment = last_orders.segment
        and members.trigger_id = last_orders.trigger_id
        and last_orders.recency_rank = 1
    left join member_refunds as open_refunds
        on members.list_date = open_refunds.list_date
        and members.segment = open_refunds.segment
        and members.trigger_id = open_refunds.trigger_id
        and open_refunds.recency_rank = 1
        and open_refunds.is_open
    left join concern_texts
        on members.list_date = concern_texts.list_date
        and members.segment = concern_texts.segment
        and members.trigger_id = concern_texts.trigger_id
    left join openings on members.segment = openings.segment

),

scored as (

    select
        *,
        {{ listenloop.holdout_bucket('customer_id', 'segment', 'trigger_id') }} as holdout_bucket,
        round(
            least(greatest(coalesce(value_amount, 0), 0), 500) / 5.0
            + least(greatest(lifetime_value, 0), 1000) / 10.0
            + 100 * exp(
                -1 * greatest({{ dbt.datediff('trigger_at', 'calling_starts_at', 'minute') }}, 0)
                / (72 * 60.0)
            ),
            2
        ) as priority
    from enriched

),

armed as (

    select
        *,
        case
            when holdout_bucket < {{ var('holdout_share') }} then 'holdout' else 'treatment'
        end as arm
    from scored

),

ranked as (

    select
        armed.*,
        row_number() over (
            partition by armed.list_date, armed.arm
            order by armed.priority desc, armed.trigger_at, armed.segment, armed.trigger_id
        ){% if is_incremental() %} + coalesce(already_listed.members, 0){% endif %} as capacity_rank
    from armed
    {%- if is_incremental() %}
    left join (
        select list_date, arm, count(*) as members
        from {{ this }}
        where status = 'listed'
        group by list_date, arm
    ) as already_listed
        on armed.list_date = already_listed.list_date
        and armed.arm = already_listed.arm
    {%- endif %}

)

select
    list_date,
    customer_id,
    first_name,
    phone_e164,
    segment,
    trigger_id,
    trigger_at,
    call_window_start,
    call_window_end,
    cutoff_at as listed_at,
    cast(priority as {{ listenloop.type_double() }}) as priority,
    cast(attempts_before + 1 as integer) as attempt_number,
    reason,
    coalesce(
        nullif(
            trim(
                coalesce(last_order_point, '')
                || coalesce(' ' || refund_point, '')
                || coalesce(' ' || concern_point, '')
            ),
            ''
        ),
        'No earlier orders, refunds or concerns on record.'
    ) as talking_points,
    playbook,
    arm,
    {%- if var('daily_call_capacity') is none %}
    'listed' as status,
    {%- else %}
    case
        when arm = 'treatment' and capacity_rank > {{ var('daily_call_capacity') }} then 'deferred'
        else 'listed'
    end as status,
    {%- endif %}
    cast(holdout_bucket as {{ listenloop.type_double() }}) as holdout_bucket
from ranked
