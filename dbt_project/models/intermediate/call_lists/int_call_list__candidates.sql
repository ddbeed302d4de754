{#-
    Every segment candidate (seg_*) on every list date, with what int_call_list__members decides
    on: the list date's moments, the segment's precedence and the customer as known at the cutoff.
    Its own table so that the suppression rules run over stored rows: at 1,000,000 customers this
    is about 14 million rows, too many to keep in memory under a 4 GB DuckDB limit.
-#}
with

dates as (

    select * from {{ ref('int_call_list__dates') }}

),

candidates as (

    {%- for model in ['seg_cart_abandoners', 'seg_service_followups', 'seg_returners',
                      'seg_first_purchasers', 'seg_one_time_buyers'] %}
    select
        list_date,
        segment,
        trigger_id,
        customer_id,
        trigger_at,
        call_window_start,
        call_window_end,
        value_amount,
        currency,
        reason,
        {%- if model == 'seg_cart_abandoners' %}
        checkout_email,
        checkout_phone,
        checkout_created_at
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as checkout_email,
        cast(null as {{ dbt.type_string() }}) as checkout_phone,
        cast(null as {{ dbt.type_timestamp() }}) as checkout_created_at
        {%- endif %}
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

)

select
    candidates.*,
    dates.cutoff_at,
    dates.calling_starts_at,
    {{ listenloop.segment_precedence_rank('candidates.segment') }} as precedence,
    customers.first_name,
    customers.accepts_phone_contact,
    coalesce(customers.phone, candidates.checkout_phone) as phone_e164,
    coalesce(candidates.customer_id, coalesce(customers.phone, candidates.checkout_phone))
        as callee_key
from candidates
inner join dates on candidates.list_date = dates.list_date
left join {{ ref('int_customers__versions') }} as customers
    on candidates.customer_id = customers.customer_id
    and {{ listenloop.valid_at('customers', 'dates.cutoff_at') }}
