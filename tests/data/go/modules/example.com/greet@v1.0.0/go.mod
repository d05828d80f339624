module example.com/greet

go 1.19

require example.com/num v1.1.0
