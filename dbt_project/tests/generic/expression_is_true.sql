{#
    Fails for each row where the expression is false. Use it for invariants that span columns,
    which the feeds contract checks one field at a time cannot see.
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
