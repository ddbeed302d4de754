{#-
    A checkout is abandoned when it was not completed within var('abandonment_after_minutes') of
    its last update (completed exactly at the limit still counts as completed), and that moment
    has passed. Completion is the checkout's completed_at or the first order placed from it,
    whichever is earlier, since the orders feed may know before the checkouts feed does.
-#}
with

checkouts as (

    select * from {{ ref('stg_store__checkouts') }}

),

customers as (

    select customer_id, phone, phone_is_valid, accepts_phone_contact
    from {{ ref('stg_store__customers') }}

),

orders_from_checkouts as (

    select
        checkout_id,
        order_id,
        created_at,
        row_number() over (partition by checkout_id order by created_at, order_id) as order_rank
    from {{ ref('stg_store__orders') }}
    where checkout_id is not null and not is_voided

),

first_orders as (

    select checkout_id, order_id, created_at
    from orders_from_checkouts
    where order_rank = 1

),

timed as (

    select
        checkouts.*,
        {{ dbt.dateadd('minute', var('abandonment_after_minutes'), 'checkouts.updated_at') }}
            as abandoned_at,
        first_orders.order_id as recovered_order_id,
        first_orders.created_at as recovered_at,
        case
            when first_orders.created_at is null then checkouts.completed_at
            when checkouts.completed_at is null then first_orders.created_at
            when checkouts.completed_at <= first_orders.created_at then checkouts.completed_at
            else first_orders.created_at
        end as first_completed_at
    from checkouts
    left join first_orders on checkouts.checkout_id = first_orders.checkout_id

),

abandoned as (

    select * from timed
    where (first_completed_at is null or first_completed_at > abandoned_at)
        and abandoned_at <= {{ listenloop.utc_now() }}

)

select
    abandoned.checkout_id,
    abandoned.customer_id,
    abandoned.email,
    -- the number to call: the customer's own valid phone, else the one typed at checkout
    case
        when customers.phone_is_valid then customers.phone
        when abandoned.phone_is_valid then abandoned.phone
    end as phone,
    case
        when customers.phone_is_valid then 'customer'
        when abandoned.phone_is_valid then 'checkout'
    end as phone_source,
    customers.accepts_phone_contact,
    abandoned.total,
    abandoned.currency,
    abandoned.items_count,
    abandoned.created_at,
    abandoned.updated_at,
    abandoned.abandoned_at,
    abandoned.completed_at,
    abandoned.recovered_order_id,
    abandoned.recovered_at,
    abandoned.first_completed_at is not null as is_recovered,
    {{ dbt.datediff('abandoned.abandoned_at', 'abandoned.first_completed_at', 'minute') }}
        as minutes_to_recovery
from abandoned
left join customers on abandoned.customer_id = customers.customer_id
