echo "greet $WHO from file on {{ ds }} key={{ var.value.api_key }}"
