{#-
    What customers raise on calls, per month (of call_date, program timezone), segment and concern
    tag, over connected calls (conversations) that started before observed_until. Every tag of
    the vocabulary gets a row in every month x segment that had a conversation, so a tag nobody
    raised shows 0 with its interval instead of vanishing. Each call also counts in segment
    'all', which pools every segment of the month (do not add it to the others), and in
    period_grain 'all' (month empty), which pools every month: the program-to-date figures.
    A mention is one tag row of stg_telephony__call_concerns: two different unknown tags on one
    call are two 'other' mentions but one conversation mentioning 'other'.
-#}
{#- Orders that say what a customer was buying around the call: created from this many days
    before the call up to this many days after it (end exclusive). -#}
{%- set products_days_before = 90 %}
{%- set products_days_after = 7 %}
{%- set top_product_count = 3 %}
{%- set verbatim_count = 3 %}

with

calls as (

    select * from {{ ref('stg_telephony__calls') }}
    where is_connected
        and started_at < {{ listenloop.observed_until() }}

),

concerns as (

    select * from {{ ref('stg_telephony__call_concerns') }}

),

vocabulary as (

    select tag as concern_tag from {{ ref('concern_tags') }}

),

-- orders as they stood at observed_until, so a later void does not rewrite an earlier as-of date
orders as (

    select * from {{ ref('int_orders__versions') }} as orders
    where {{ listenloop.valid_at('orders', listenloop.observed_until()) }}
        and not orders.is_voided
        and orders.created_at < {{ listenloop.observed_until() }}

),

order_lines as (

    select * from {{ ref('stg_store__order_lines') }}

),

conversations as (

    select
        call_id,
        customer_id,
        started_at,
        call_date,
        nullif(trim(notes), '') as notes,
        cast(cast({{ dbt.date_trunc('month', 'call_date') }} as date) as {{ dbt.type_string() }})
            as period,
        case
            when direction = 'inbound' then 'inbound'
            else coalesce(campaign, 'no_campaign')
        end as segment
    from calls

),

-- every conversation in its own segment and in 'all', in its month and in 'all' months
segment_conversations as (
    {%- for period in ['period', "'all'"] %}
    {%- for segment in ['segment', "'all'"] %}

    select
        call_id, customer_id, started_at, call_date, notes,
        {{ period }} as period,
        {{ segment }} as segment
    from conversations
    {{ 'union all' if not loop.last or period == 'period' }}
    {%- endfor %}
    {%- endfor %}

),

mentions as (

    select
        segment_conversations.*,
        concerns.concern_tag
    from segment_conversations
    inner join concerns on segment_conversations.call_id = concerns.call_id

),

segment_totals as (

    select
        period,
        segment,
        count(*) as conversations
    from segment_conversations
    group by period, segment

),

segment_mention_totals as (

    select
        period,
        segment,
        count(*) as segment_mentions
    from mentions
    group by period, segment

),

tag_totals as (

    select
        period,
        segment,
        concern_tag,
        count(*) as mentions,
        count(distinct call_id) as conversations_mentioning
    from mentions
    group by period, segment, concern_tag

),

tag_calls as (

    select distinct
        period,
        segment,
        concern_tag,
        call_id,
        customer_id,
        started_at,
        call_date,
        notes
    from mentions

),

-- newest first; calls that started at the same moment fall back to call_id, descending
verbatims_ranked as (

    select
        period,
        segment,
        concern_tag,
        call_id,
        call_date,
        notes,
        row_number() over (
            partition by period, segment, concern_tag
            order by started_at desc, call_id desc
        ) as verbatim_number
    from tag_calls
    where notes is not null

),

verbatims as (

    select
        period,
        segment,
        concern_tag,
        {%- for i in range(1, verbatim_count + 1) %}
        max(case when verbatim_number = {{ i }} then notes end) as verbatim_{{ i }},
        max(case when verbatim_number = {{ i }} then call_date end) as verbatim_{{ i }}_date,
        max(case when verbatim_number = {{ i }} then call_id end) as verbatim_{{ i }}_call_id
        {{- ',' if not loop.last }}
        {%- endfor %}
    from verbatims_ranked
    where verbatim_number <= {{ verbatim_count }}
    group by period, segment, concern_tag

),

-- an order counts once per row even when several of the customer's calls reach it
tag_orders as (

    select distinct
        tag_calls.period,
        tag_calls.segment,
        tag_calls.concern_tag,
        orders.order_id
    from tag_calls
    inner join orders on tag_calls.customer_id = orders.customer_id
    where orders.created_at
        >= {{ dbt.dateadd('day', -1 * products_days_before, 'tag_calls.started_at') }}
        and orders.created_at
        < {{ dbt.dateadd('day', products_days_after, 'tag_calls.started_at') }}

),

product_units as (

    select
        tag_orders.period,
        tag_orders.segment,
        tag_orders.concern_tag,
        order_lines.title,
        sum(order_lines.quantity) as units
    from tag_orders
    inner join order_lines on tag_orders.order_id = order_lines.order_id
    where order_lines.title is not null
    group by tag_orders.period, tag_orders.segment, tag_orders.concern_tag, order_lines.title

),

products_ranked as (

    select
        *,
        row_number() over (
            partition by period, segment, concern_tag
            order by units desc, title
        ) as product_rank
    from product_units
    where units > 0

),

top_products as (

    select
        period,
        segment,
        concern_tag,
        {{ dbt.listagg(
            dbt.concat([
                'title', "' ('", 'cast(units as ' ~ dbt.type_string() ~ ')', "')'"
            ]),
            "', '",
            'order by product_rank'
        ) }} as top_products
    from products_ranked
    where product_rank <= {{ top_product_count }}
    group by period, segment, concern_tag

),

grid as (

    select
        segment_totals.period,
        segment_totals.segment,
        vocabulary.concern_tag,
        segment_totals.conversations,
        coalesce(segment_mention_totals.segment_mentions, 0) as segment_mentions
    from segment_totals
    cross join vocabulary
    left join segment_mention_totals
        on segment_totals.period = segment_mention_totals.period
        and segment_totals.segment = segment_mention_totals.segment

),

counted as (

    select
        grid.*,
        coalesce(tag_totals.mentions, 0) as mentions,
        coalesce(tag_totals.conversations_mentioning, 0) as conversations_mentioning
    from grid
    left join tag_totals
        on grid.period = tag_totals.period
        and grid.segment = tag_totals.segment
        and grid.concern_tag = tag_totals.concern_tag

)

select
    cast(
        case when counted.period = 'all' then 'all' else 'month' end as {{ dbt.type_string() }}
    ) as period_grain,
    case when counted.period <> 'all' then cast(counted.period as date) end as month,
    cast(counted.segment as {{ dbt.type_string() }}) as segment,
    cast(counted.concern_tag as {{ dbt.type_string() }}) as concern_tag,

    cast(counted.conversations_mentioning as {{ dbt.type_bigint() }}) as conversations_mentioning,
    cast(counted.conversations as {{ dbt.type_bigint() }}) as conversations,
    {{ listenloop.ratio('counted.conversations_mentioning', 'counted.conversations') }}
        as share_of_conversations,
    {{ listenloop.wilson_bound('counted.conversations_mentioning', 'counted.conversations', 'low') }}
        as share_of_conversations_ci_low,
    {{ listenloop.wilson_bound('counted.conversations_mentioning', 'counted.conversations', 'high') }}
        as share_of_conversations_ci_high,

    cast(counted.mentions as {{ dbt.type_bigint() }}) as mentions,
    cast(counted.segment_mentions as {{ dbt.type_bigint() }}) as segment_mentions,
    {{ listenloop.ratio('counted.mentions', 'counted.segment_mentions') }} as share_of_mentions,
    {{ listenloop.wilson_bound('counted.mentions', 'counted.segment_mentions', 'low') }}
        as share_of_mentions_ci_low,
    {{ listenloop.wilson_bound('counted.mentions', 'counted.segment_mentions', 'high') }}
        as share_of_mentions_ci_high,

    {{ listenloop.is_low_sample(['counted.conversations', 'counted.segment_mentions']) }}
        as low_sample,
    case
        when counted.period <> 'all'
            then {{ dbt.dateadd('month', 1, 'cast(counted.period as date)') }}
                <= {{ listenloop.as_of_date() }}
    end as is_complete_month,

    cast(top_products.top_products as {{ dbt.type_string() }}) as top_products,
    {%- for i in range(1, verbatim_count + 1) %}
    cast(verbatims.verbatim_{{ i }} as {{ dbt.type_string() }}) as verbatim_{{ i }},
    verbatims.verbatim_{{ i }}_date,
    cast(verbatims.verbatim_{{ i }}_call_id as {{ dbt.type_string() }}) as verbatim_{{ i }}_call_id
    {{- ',' if not loop.last }}
    {%- endfor %}
from counted
left join top_products
    on counted.period = top_products.period
    and counted.segment = top_products.segment
    and counted.concern_tag = top_products.concern_tag
left join verbatims
    on counted.period = verbatims.period
    and counted.segment = verbatims.segment
    and counted.concern_tag = verbatims.concern_tag
