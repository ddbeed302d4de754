{#-
    One row per customer and day (program timezone) on which they placed at least one order, as
    the orders stood at observed_until: only orders created before it, in the version in force
    then, not voided. A void recorded later does not rewrite this as-of date's history, so a
    rebuild for the same as-of date is reproducible. first_order_date is the customer's first
    such day ever; the CX scorecard reads its customer windows from here.
-#}
with

orders as (

    select * from {{ ref('int_orders__versions') }}

),

known_orders as (

    select
        customer_id,
        order_id,
        {{ listenloop.to_program_date('created_at') }} as order_date
    from orders
    where {{ listenloop.valid_at('orders', listenloop.observed_until()) }}
        and orders.created_at < {{ listenloop.observed_until() }}
        and not orders.is_voided
        and orders.customer_id is not null

),

order_days as (

    select
        customer_id,
        order_date,
        count(distinct order_id) as orders
    from known_orders
    group by customer_id, order_date

)

select
    customer_id,
    order_date,
    orders,
    min(order_date) over (partition by customer_id) as first_order_date
from order_days
