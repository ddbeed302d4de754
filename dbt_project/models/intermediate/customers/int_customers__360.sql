with

customers as (

    select * from {{ ref('stg_store__customers') }}

),

-- a voided order was never paid: it is neither a purchase nor revenue
orders as (

    select * from {{ ref('stg_store__orders') }}
    where not is_voided

),

refunds as (

    select * from {{ ref('stg_store__refunds') }}

),

order_totals as (

    select
        customer_id,
        min(created_at) as first_order_at,
        max(created_at) as last_order_at,
        count(*) as order_count,
        sum(coalesce(total, 0)) as gross_revenue
    from orders
    where customer_id is not null
    group by customer_id

),

refund_totals as (

    select
        orders.customer_id,
        count(*) as refund_count,
        sum(coalesce(refunds.refund_amount, 0)) as refund_amount
    from refunds
    inner join orders on refunds.order_id = orders.order_id
    where orders.customer_id is not null
    group by orders.customer_id

),

joined as (

    select
        customers.customer_id,
        customers.email,
        customers.phone,
        customers.phone_is_valid,
        customers.first_name,
        customers.last_name,
        customers.country,
        customers.accepts_phone_contact,
        customers.created_at as customer_created_at,
        order_totals.first_order_at,
        order_totals.last_order_at,
        {{ listenloop.to_program_date('order_totals.first_order_at') }} as first_purchase_date,
        coalesce(order_totals.order_count, 0) as order_count,
        coalesce(order_totals.gross_revenue, 0) as gross_revenue,
        coalesce(refund_totals.refund_count, 0) as refund_count,
        coalesce(refund_totals.refund_amount, 0) as refund_amount
    from customers
    left join order_totals on customers.customer_id = order_totals.customer_id
    left join refund_totals on customers.customer_id = refund_totals.customer_id

)

select
    *,
    gross_revenue - refund_amount as net_revenue,
    -- lifetime value to date is what the customer has kept paying: net revenue
    gross_revenue - refund_amount as lifetime_value
from joined
