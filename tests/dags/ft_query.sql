SELECT * FROM events WHERE day = '{{ ds }}' -- {{ params.table }}
